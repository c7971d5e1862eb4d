module netbroker.local/tools/netcheck

go 1.22
