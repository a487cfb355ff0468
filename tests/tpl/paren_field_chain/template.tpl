{{ (index .items 1).name }} {{ (.Params).Name }}
