x
{{ .a 

