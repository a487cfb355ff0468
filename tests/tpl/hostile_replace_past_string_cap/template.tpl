{{ $s := repeat 70000 "a" }}{{ replace "a" (repeat 1000 "b") $s | len }}
