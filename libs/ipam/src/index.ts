export { formatCidr, intervalToCidrs, parseAddress, parseCidr, type Address, type Cidr, type Family, type Interval } from './address';
export { AddressPool, type PoolSpec, type Utilisation } from './pool';
export { presets } from './presets';
export { mapPool, thousandths, type MapRequest, type MapViewer, type OwnedCidr } from './map';
