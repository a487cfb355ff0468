{{ $x := "a" }}{{ if true }}{{ $x = "b" }}{{ end }}{{ $x }}
