{{- define "soma.fullname" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}
{{- define "soma.headless" -}}{{ include "soma.fullname" . }}-headless{{- end -}}
{{- define "soma.secretName" -}}{{ .Values.secrets.existingSecret | default (include "soma.fullname" .) }}{{- end -}}
{{- define "soma.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "soma.labels" -}}
{{ include "soma.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
