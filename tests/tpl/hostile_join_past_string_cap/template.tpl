{{ $s := repeat 1000 (repeat 40000 "a") }}{{ join "" (list $s $s) | len }}
