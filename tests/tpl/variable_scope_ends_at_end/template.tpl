{{ if true }}{{ $v := 1 }}{{ end }}{{ $v }}
