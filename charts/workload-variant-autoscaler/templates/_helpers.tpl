{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "wva.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the controller's objects: the release name when it already contains the chart name. */}}
{{- define "wva.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "wva.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "wva.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.wva.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: workload-variant-autoscaler
{{- end -}}

{{/* Labels that select the controller pods. */}}
{{- define "wva.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wva.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
control-plane: controller-manager
{{- end -}}

{{/* The Deployment the VariantAutoscaling and the HPA scale: llmd.deploymentName, else the model service's decode Deployment. */}}
{{- define "wva.scaleTarget" -}}
{{- .Values.llmd.deploymentName | default (printf "%s-decode" .Values.llmd.modelName) -}}
{{- end -}}

{{/* Name of the per-model objects (VA, HPA, vLLM Service): one set per release, so two releases never share them. */}}
{{- define "wva.variantName" -}}
{{- printf "%s-va" (include "wva.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The controller image reference. */}}
{{- define "wva.image" -}}
{{- printf "%s:%s" .Values.wva.image.repository (.Values.wva.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Name of the controller's ServiceAccount. */}}
{{- define "wva.serviceAccountName" -}}
{{- printf "%s-controller-manager" (include "wva.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
