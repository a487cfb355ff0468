{{ $s := repeat 1000 (repeat 40000 "a") }}{{ cat $s $s | len }}
