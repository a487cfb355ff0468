{{ and false .missing.x }}|{{ or true .missing.x }}|{{ if and .m (index .m "k") }}yes{{ end }}
