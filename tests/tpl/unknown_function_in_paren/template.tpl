{{ if true }}

{{ print (bogus 1) }}{{ end }}
