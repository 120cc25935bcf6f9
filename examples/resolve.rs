//! Embedding wo as a library: resolve every target of the worked example (`examples/shop`) and
//! print each target's values with the file that supplied them.
//!
//! ```sh
//! cargo run --example resolve
//! ```

use std::path::Path;

use wo::core::engine::{Bundle, Resolver};
use wo::core::files::FileTree;
use wo::core::format::fleet::Fleet;
use wo::core::format::values::ValueSet;

fn main() -> Result<(), wo::core::Error> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let bundle = Bundle::load(&FileTree::load_dir(&root.join("source"))?, "source")?;
    let values = ValueSet::load(&FileTree::load_dir(&root.join("config"))?, "config")?;
    let fleet_tree = FileTree::load_dir(&root.join("fleet"))?;
    let fleet_text = fleet_tree.text("fleet.yaml")?.unwrap_or_default();
    let fleet = Fleet::parse(fleet_text, "fleet/fleet.yaml")?;

    // Check the value files once, then resolve each target the fleet assigns `shop` to.
    let resolver = Resolver::new(&bundle, &values, &fleet)?;
    for target in resolver.targets()? {
        let resolved = resolver.resolve(target)?;
        println!("# {} ({})", target.name, fleet.environment);
        for (key, p) in &resolved.provenance {
            let file = p.file.as_deref().unwrap_or("-");
            println!("  {key:<22} from {file}");
        }
    }
    Ok(())
}
