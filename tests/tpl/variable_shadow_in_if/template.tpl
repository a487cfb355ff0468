{{ $x := "outer" }}{{ if true }}{{ $x := "inner" }}{{ $x }} {{ end }}{{ $x }}
