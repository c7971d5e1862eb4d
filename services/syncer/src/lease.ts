// The syncer's leases are the controller runtime's (one per registration, key `<tenant>.<project>`).
export { LeaseHolder } from '@netbroker/controller';
