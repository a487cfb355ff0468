apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Name }}
data:
  key: {{ .Params.undefinedParam }}
