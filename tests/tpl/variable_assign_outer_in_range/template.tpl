{{ $last := "" }}{{ range .Params.list }}{{ $last = . }}{{ end }}last={{ $last }}
