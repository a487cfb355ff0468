{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}
{{ range .m }}{{ . }},{{ end }}
