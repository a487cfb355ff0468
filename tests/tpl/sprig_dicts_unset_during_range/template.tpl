{{ $d := dict "a" (list 1) }}{{ range $k, $v := $d }}{{ $_ := unset $d $k }}{{ $v }}{{ end }}{{ $d }}
