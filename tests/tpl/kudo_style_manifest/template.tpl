apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Name }}
  namespace: {{ .Namespace }}
spec:
  replicas: {{ .Params.replicas }}
  {{- if eq .Params.enabled "true" }}
  template:
    containers:
    {{- range $i, $c := .Params.list }}
    - name: c{{ $i }}-{{ $c }}
    {{- end }}
  {{- end }}
  labels:
  {{- range $k, $v := .Params.map }}
    {{ $k }}: {{ $v | printf "%v" | printf "%q" }}
  {{- end }}
