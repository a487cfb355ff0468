{{ range $i, $v := .n }}{{ if eq $v 2.0 }}{{ continue }}{{ end }}{{ if gt $v 4.0 }}{{ break }}{{ end }}{{ $v }} {{ end }}
