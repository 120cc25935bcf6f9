{{!-- The chart name, cut to the 63 characters a label value allows. --}}
{{#define "shop.name"}}
{{trimSuffix "-" (trunc 63 Chart.Name)}}
{{/define}}

{{!-- The release-qualified name of every object. --}}
{{#define "shop.fullname"}}
{{#if (contains Chart.Name Release.Name)}}
{{~trimSuffix "-" (trunc 63 Release.Name)~}}
{{else}}
{{~trimSuffix "-" (trunc 63 (printf "%s-%s" Release.Name Chart.Name))~}}
{{/if}}
{{/define}}

{{#define "shop.selectorLabels"}}
app.kubernetes.io/name: {{include "shop.name" this}}
app.kubernetes.io/instance: {{Release.Name}}
{{/define}}

{{#define "shop.labels"}}
{{include "shop.selectorLabels" this}}
app.kubernetes.io/version: {{quote Chart.AppVersion}}
app.kubernetes.io/managed-by: {{Release.Service}}
{{/define}}
