{{ printf "%T|%T|%T|%T|%T|%T|%T" "s" 1 1.5 true .l .m nil }}
