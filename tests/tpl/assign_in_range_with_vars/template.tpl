{{ $sum := "" }}{{ range $i, $v := .l }}{{ $sum = printf "%s%v" $sum $v }}{{ end }}{{ $sum }}
