line1

   {{- " joined" }}
