a
{{ if true }}
b
