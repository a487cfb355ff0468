{{ printf "%T %T %T %T" 1 1.0 'x' 0x1 }}
