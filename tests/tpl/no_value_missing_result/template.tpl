{{ index .m "nokey" }}|{{ $x := .n }}{{ $x }}|{{ .n }}
