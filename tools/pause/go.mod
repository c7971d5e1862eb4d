module netbroker.local/tools/pause

go 1.22
