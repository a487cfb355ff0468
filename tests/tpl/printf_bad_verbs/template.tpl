{{ printf "%d|%s|%t|%z|%d" "x" 3 "y" 1 .f }}
