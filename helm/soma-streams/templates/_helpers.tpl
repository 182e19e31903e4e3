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
{{- /* A marketplace key's file: named by a digest, as a publisher or key id may hold what a file name cannot */ -}}
{{- define "soma.marketplaceKeyFile" -}}
{{- $publisher := index . 0 -}}{{- $keyId := index . 1 -}}
{{- if or (regexMatch "[:,=]" $publisher) (regexMatch "[,=]" $keyId) -}}
{{- fail (printf "marketplaceTrustedKeys: publisher %q, key id %q: a publisher holds no ':', ',' or '=', a key id no ',' or '='" $publisher $keyId) -}}
{{- end -}}
marketplace-{{ printf "%s:%s" $publisher $keyId | sha256sum | trunc 16 }}.pem
{{- end -}}
{{- /* marketplace.trusted.keys: publisher:keyId=file,... for the mounted marketplace keys */ -}}
{{- define "soma.marketplaceTrustedKeys" -}}
{{- $entries := list -}}
{{- range $publisher, $keys := . -}}
{{- range $keyId, $pem := $keys -}}
{{- $entries = append $entries (printf "%s:%s=/etc/soma/trusted-keys/%s" $publisher $keyId (include "soma.marketplaceKeyFile" (list $publisher $keyId))) -}}
{{- end -}}
{{- end -}}
{{- join "," $entries -}}
{{- end -}}
