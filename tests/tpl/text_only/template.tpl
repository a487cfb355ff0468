just text
with lines
