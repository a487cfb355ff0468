{{ $d := dict }}{{ $c := $d }}{{ range until 20000 }}{{ $_ := set $c "a" (dict) }}{{ $c = $c.a }}{{ end }}{{ toJson $d | len }}
