import { hasBit, highestBitAtOrBelow, lowestBitAtOrBelow, singleBit, wordsFor, type Mask } from './masks';

/** What a leaf block is. 'outside' covers the whole address space that is not part of the pool. */
export type LeafKind = 'free' | 'allocated' | 'reserved' | 'outside';
type Kind = LeafKind | 'split';

/** Which leaf kinds a subtree contains, as bit flags. */
export const Contains = { free: 1, allocated: 2, reserved: 4, outside: 8 } as const satisfies Record<LeafKind, number>;

/** Why a block cannot be claimed, most fundamental first. */
export type Conflict = 'outside' | 'reserved' | 'allocated';

export interface Block {
  address: bigint;
  length: number;
}

interface TrieNode {
  kind: Kind;
  /** Free-block prefix lengths present in this subtree (bit width+1: a free address that is never handed out alone). */
  mask: Mask;
  /** `Contains` flags of this subtree. */
  contains: number;
  left: TrieNode | null;
  right: TrieNode | null;
}

function conflictOf(contains: number): Conflict {
  if (contains & Contains.outside) return 'outside';
  if (contains & Contains.reserved) return 'reserved';
  return 'allocated';
}

/**
 * A binary trie over the whole address space of one family: a node at depth d is a /d block.
 * Leaves are free, allocated, reserved or outside the pool; free buddies are always merged, so a
 * split node never holds only free space. Every operation walks one root-to-leaf path: O(width).
 */
export class BlockTrie {
  /** Live allocated space, in addresses. */
  used = 0n;
  /** Free leaves, i.e. maximal free aligned blocks. */
  fragments = 0;
  private root: TrieNode;
  /** Ancestors of the node found by the last walk; path[d] is at depth d. */
  private readonly path: TrieNode[] = [];
  /** bit[d]: the address bit that chooses the child at depth d. */
  private readonly bit: bigint[] = [];
  /** size[d]: addresses in a /d block. */
  private readonly size: bigint[] = [];
  private readonly freeMask: Mask[] = [];
  private readonly edgeMask: Mask;
  private readonly emptyMask: Mask;
  private readonly words: number;
  /** Addresses never handed out as a single address (IPv4 network and broadcast addresses). */
  private readonly edges = new Set<bigint>();

  constructor(readonly width: number) {
    this.words = wordsFor(width + 2);
    for (let depth = 0; depth <= width; depth++) {
      this.bit.push(depth < width ? 1n << BigInt(width - 1 - depth) : 0n);
      this.size.push(1n << BigInt(width - depth));
      this.freeMask.push(singleBit(this.words, depth));
    }
    this.edgeMask = singleBit(this.words, width + 1);
    this.emptyMask = new Array<number>(this.words).fill(0);
    this.root = this.leaf('outside', 0);
  }

  /** Create time only: turns the `from` parts of start..end into `to`. */
  paint(start: bigint, end: bigint, from: LeafKind, to: LeafKind): void {
    this.root = this.paintNode(this.root, 0n, 0, { start, end, from, to });
    this.fragments = this.count('free').blocks;
  }

  /** Create time only: these free addresses may be part of a block but are never allocated alone. */
  protectEdges(addresses: Iterable<bigint>): void {
    for (const address of addresses) {
      this.edges.add(address);
      const { node, depth } = this.walk(address, this.width);
      if (node.kind === 'free' && depth === this.width) {
        node.mask = this.edgeMask;
        this.refresh(this.path.length - 1);
      }
    }
  }

  /** Best fit: carve a /length out of the smallest free block that holds one, lowest address on ties. */
  allocate(length: number): bigint | null {
    const fit = highestBitAtOrBelow(this.root.mask, length);
    if (fit < 0) return null;
    this.path.length = 0;
    let node = this.root;
    let address = 0n;
    for (let depth = 0; node.kind === 'split'; depth++) {
      this.path.push(node);
      const left = node.left as TrieNode;
      if (hasBit(left.mask, fit)) {
        node = left;
      } else {
        node = node.right as TrieNode;
        address |= this.bit[depth] as bigint;
      }
    }
    // A free block of two or more addresses always holds a non-edge one among its first two.
    if (length === this.width && this.edges.has(address)) address += 1n;
    this.carve(node, fit, address, length);
    return address;
  }

  /** Claims exactly this block, or says what is in the way. */
  claim(address: bigint, length: number): Conflict | null {
    if (this.isEdge(address, length)) return 'reserved';
    const { node, depth } = this.walk(address, length);
    if (node.kind !== 'free') return conflictOf(node.contains);
    this.carve(node, depth, address, length);
    return null;
  }

  /** Frees a live allocation and merges free buddies upwards; false if it is not exactly one. */
  release(address: bigint, length: number): boolean {
    const { node, depth } = this.walk(address, length);
    if (depth !== length || node.kind !== 'allocated') return false;
    this.makeFree(node, depth, address);
    this.used -= this.size[length] as bigint;
    this.fragments += 1;
    let depthAbove = this.path.length - 1;
    for (; depthAbove >= 0; depthAbove--) {
      const parent = this.path[depthAbove] as TrieNode;
      if (parent.left?.kind !== 'free' || parent.right?.kind !== 'free') break;
      this.makeFree(parent, depthAbove, address);
      this.fragments -= 1;
    }
    this.refresh(depthAbove);
    return true;
  }

  /** `Contains` flags of everything under the block; an edge address on its own also counts as reserved. */
  contents(address: bigint, length: number): number {
    const { node } = this.walk(address, length);
    return this.isEdge(address, length) ? node.contains | Contains.reserved : node.contains;
  }

  isAllocated(address: bigint, length: number): boolean {
    const { node, depth } = this.walk(address, length);
    return depth === length && node.kind === 'allocated';
  }

  /** Prefix length of the largest free block that can be handed out, or null. */
  largestFree(): number | null {
    const length = lowestBitAtOrBelow(this.root.mask, this.width);
    return length < 0 ? null : length;
  }

  /** Blocks of one kind in ascending address order. */
  *blocks(kind: LeafKind): Generator<Block> {
    const stack: Array<{ node: TrieNode; address: bigint; length: number }> = [{ node: this.root, address: 0n, length: 0 }];
    for (let item = stack.pop(); item; item = stack.pop()) {
      const { node, address, length } = item;
      if (node.kind === kind) yield { address, length };
      if (node.kind !== 'split' || !(node.contains & Contains[kind])) continue;
      stack.push({ node: node.right as TrieNode, address: address | (this.bit[length] as bigint), length: length + 1 });
      stack.push({ node: node.left as TrieNode, address, length: length + 1 });
    }
  }

  /**
   * Addresses of each kind in each of the 2^(cellLength - length) equal cells of address/length
   * (cell i is its i-th /cellLength in address order), and how many allocated leaves of each
   * prefix length lie under it. One walk of that block's subtree only; a leaf larger than a cell
   * spreads over the cells it covers. Counts are doubles while a cell holds at most 2^53
   * addresses (exact), bigints beyond.
   */
  tally(address: bigint, length: number, cellLength: number): { counts: Record<LeafKind, bigint[]>; allocatedLengths: number[] } {
    const cells = 2 ** (cellLength - length);
    const allocatedLengths = new Array<number>(this.width + 1).fill(0);
    const { node: top, depth: topDepth } = this.walk(address, length);
    if (top.kind !== 'split') {
      // The whole block lies in one leaf: every cell is of its kind.
      if (top.kind === 'allocated') allocatedLengths[topDepth] = 1;
      const whole = (kind: LeafKind) => new Array<bigint>(cells).fill(kind === top.kind ? (this.size[cellLength] as bigint) : 0n);
      return { counts: { free: whole('free'), allocated: whole('allocated'), reserved: whole('reserved'), outside: whole('outside') }, allocatedLengths };
    }
    const exact = this.width - cellLength <= 53;
    // A leaf's `contains` is its kind's flag: columns indexed by it.
    const small: Float64Array[] = [];
    const big: bigint[][] = [];
    for (const kind of Object.keys(Contains) as LeafKind[]) {
      small[Contains[kind]] = new Float64Array(exact ? cells : 0);
      big[Contains[kind]] = exact ? [] : new Array<bigint>(cells).fill(0n);
    }
    // The cell of a right child is its parent's plus half the cells the parent spans.
    const step = Array.from({ length: this.width + 1 }, (_, d) => (d < cellLength ? 2 ** (cellLength - d - 1) : 0));
    const sizes = Array.from({ length: this.width + 1 }, (_, d) => 2 ** (this.width - d));
    const cellSize = sizes[cellLength] as number;
    const bigCellSize = this.size[cellLength] as bigint;
    const allocated = Contains.allocated;
    const visit = (node: TrieNode, cell: number, depth: number): void => {
      if (node.kind === 'split') {
        visit(node.left as TrieNode, cell, depth + 1);
        visit(node.right as TrieNode, cell + (step[depth] as number), depth + 1);
        return;
      }
      const kind = node.contains;
      if (kind === allocated) allocatedLengths[depth] = (allocatedLengths[depth] as number) + 1;
      if (exact) {
        const column = small[kind] as Float64Array;
        if (depth >= cellLength) column[cell] = (column[cell] as number) + (sizes[depth] as number);
        else column.fill(cellSize, cell, cell + 2 ** (cellLength - depth));
        return;
      }
      const column = big[kind] as bigint[];
      if (depth >= cellLength) column[cell] = (column[cell] as bigint) + (this.size[depth] as bigint);
      else column.fill(bigCellSize, cell, cell + 2 ** (cellLength - depth));
    };
    visit(top, 0, topDepth);
    const column = (kind: LeafKind): bigint[] => (exact ? Array.from(small[Contains[kind]] as Float64Array, BigInt) : (big[Contains[kind]] as bigint[]));
    const counts = { free: column('free'), allocated: column('allocated'), reserved: column('reserved'), outside: column('outside') };
    return { counts, allocatedLengths };
  }

  /**
   * Blocks of one kind under address/length that are shorter than /maxLength, and the first
   * `take` of exactly /maxLength, in ascending address order (a leaf holding the whole block is
   * that one leaf). Never descends below maxLength.
   */
  blocksUpTo(kind: LeafKind, address: bigint, length: number, maxLength: number, take: number): Block[] {
    const found: Block[] = [];
    let left = take;
    const { node: top, depth: topDepth } = this.walk(address, length);
    const visit = (node: TrieNode, base: bigint, depth: number): void => {
      if (node.kind === kind) {
        if (depth < maxLength) found.push({ address: base, length: depth });
        else if (depth === maxLength && left > 0) {
          found.push({ address: base, length: depth });
          left -= 1;
        }
        return;
      }
      if (node.kind !== 'split' || depth >= maxLength || !(node.contains & Contains[kind])) return;
      visit(node.left as TrieNode, base, depth + 1);
      visit(node.right as TrieNode, base | (this.bit[depth] as bigint), depth + 1);
    };
    visit(top, address & ~((this.size[topDepth] as bigint) - 1n), topDepth);
    return found;
  }

  /** The smallest block holding every address that is not outside (the pool's extent), or null for none. */
  extent(): Block | null {
    const inside = Contains.free | Contains.allocated | Contains.reserved;
    if (!(this.root.contains & inside)) return null;
    let node = this.root;
    let address = 0n;
    let length = 0;
    while (node.kind === 'split') {
      const left = (node.left as TrieNode).contains & inside;
      const right = (node.right as TrieNode).contains & inside;
      if (left && right) break;
      if (right) address |= this.bit[length] as bigint;
      node = (left ? node.left : node.right) as TrieNode;
      length += 1;
    }
    return { address, length };
  }

  count(kind: LeafKind): { blocks: number; addresses: bigint } {
    let blocks = 0;
    let addresses = 0n;
    for (const block of this.blocks(kind)) {
      blocks += 1;
      addresses += this.size[block.length] as bigint;
    }
    return { blocks, addresses };
  }

  private isEdge(address: bigint, length: number): boolean {
    return length === this.width && this.edges.has(address);
  }

  /** Descends towards address/length through split nodes; stops at a leaf or at depth `length`. */
  private walk(address: bigint, length: number): { node: TrieNode; depth: number } {
    this.path.length = 0;
    let node = this.root;
    let depth = 0;
    while (depth < length && node.kind === 'split') {
      this.path.push(node);
      node = ((address & (this.bit[depth] as bigint)) === 0n ? node.left : node.right) as TrieNode;
      depth += 1;
    }
    return { node, depth };
  }

  /** Splits the free leaf at `depth` down to address/length and allocates that block. */
  private carve(node: TrieNode, depth: number, address: bigint, length: number): void {
    let current = node;
    for (let d = depth; d < length; d++) {
      const bit = this.bit[d] as bigint;
      const goRight = (address & bit) !== 0n;
      const next = this.leaf('free', d + 1);
      const sibling = this.leaf('free', d + 1);
      if (d + 1 === this.width && this.edges.has(address ^ bit)) sibling.mask = this.edgeMask;
      current.kind = 'split';
      current.mask = this.emptyMask.slice();
      current.contains = 0;
      current.left = goRight ? sibling : next;
      current.right = goRight ? next : sibling;
      this.path.push(current);
      current = next;
    }
    current.kind = 'allocated';
    current.mask = this.emptyMask;
    current.contains = Contains.allocated;
    this.used += this.size[length] as bigint;
    this.fragments += length - depth - 1;
    this.refresh(this.path.length - 1);
  }

  private makeFree(node: TrieNode, depth: number, address: bigint): void {
    node.kind = 'free';
    node.mask = depth === this.width && this.edges.has(address) ? this.edgeMask : (this.freeMask[depth] as Mask);
    node.contains = Contains.free;
    node.left = null;
    node.right = null;
  }

  /** Recomputes summaries of path[depth] and its ancestors, stopping once one is unchanged. */
  private refresh(depth: number): void {
    for (let d = depth; d >= 0; d--) {
      if (!this.summarise(this.path[d] as TrieNode)) return;
    }
  }

  private summarise(node: TrieNode): boolean {
    const left = node.left as TrieNode;
    const right = node.right as TrieNode;
    const mask = node.mask as number[];
    let changed = false;
    for (let word = 0; word < this.words; word++) {
      const value = (left.mask[word] ?? 0) | (right.mask[word] ?? 0);
      if (mask[word] !== value) {
        mask[word] = value;
        changed = true;
      }
    }
    const contains = left.contains | right.contains;
    if (node.contains !== contains) changed = true;
    node.contains = contains;
    return changed;
  }

  private leaf(kind: LeafKind, depth: number): TrieNode {
    const mask = kind === 'free' ? (this.freeMask[depth] as Mask) : this.emptyMask;
    return { kind, mask, contains: Contains[kind], left: null, right: null };
  }

  private paintNode(node: TrieNode, base: bigint, depth: number, paint: Paint): TrieNode {
    const last = base + (this.size[depth] as bigint) - 1n;
    if (paint.end < base || paint.start > last) return node;
    if (node.kind !== 'split') {
      if (node.kind !== paint.from) return node;
      if (paint.start <= base && last <= paint.end) return this.leaf(paint.to, depth);
      node = { kind: 'split', mask: this.emptyMask.slice(), contains: 0, left: this.leaf(node.kind, depth + 1), right: this.leaf(node.kind, depth + 1) };
    }
    node.left = this.paintNode(node.left as TrieNode, base, depth + 1, paint);
    node.right = this.paintNode(node.right as TrieNode, base + (this.size[depth + 1] as bigint), depth + 1, paint);
    const kind = node.left.kind;
    // Create time has no allocations, so equal leaf siblings always merge back into one leaf.
    if (kind === node.right.kind && (kind === 'free' || kind === 'reserved' || kind === 'outside')) return this.leaf(kind, depth);
    this.summarise(node);
    return node;
  }
}

interface Paint {
  start: bigint;
  end: bigint;
  from: LeafKind;
  to: LeafKind;
}
