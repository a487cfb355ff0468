line1
  {{ .Params.present }}
  value: {{ .Params.absent }}
