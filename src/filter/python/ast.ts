/**
 * The syntax tree of the Python expression subset: the node kinds of Python's `ast` module that a filter or a
 * literal can contain, with the offset where each starts (Python's `col_offset`) so errors can point at it.
 */

/** A Python constant as written: ints stay exact as bigint, floats are doubles. */
export type PyConstant =
  | { type: "int"; value: bigint }
  | { type: "float"; value: number }
  | { type: "complex" }
  | { type: "str"; value: string }
  | { type: "bytes" }
  | { type: "bool"; value: boolean }
  | { type: "none" };

export type BoolOperator = "and" | "or";
export type UnaryOperator = "not" | "-" | "+" | "~";
export type BinaryOperator = "+" | "-" | "*" | "/" | "%" | "//" | "**" | "@" | "<<" | ">>" | "&" | "|" | "^";
export type CompareOperator = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is" | "is not";

interface Base {
  /** 0-based offset of the node's first character in the source text. */
  start: number;
  /** 0-based offset just past the node's last character. */
  end: number;
}

export type PyNode =
  | (Base & { kind: "Name"; id: string })
  | (Base & { kind: "Constant"; value: PyConstant })
  | (Base & { kind: "Attribute"; value: PyNode; attr: string })
  | (Base & { kind: "Subscript"; value: PyNode; slice: PyNode })
  | (Base & { kind: "Slice" })
  | (Base & { kind: "Call"; func: PyNode; args: PyNode[]; keywords: number })
  | (Base & { kind: "BoolOp"; op: BoolOperator; values: PyNode[] })
  | (Base & { kind: "UnaryOp"; op: UnaryOperator; operand: PyNode })
  | (Base & { kind: "BinOp"; op: BinaryOperator; left: PyNode; right: PyNode })
  | (Base & { kind: "Compare"; left: PyNode; ops: CompareOperator[]; comparators: PyNode[] })
  | (Base & { kind: "List"; elts: PyNode[] })
  | (Base & { kind: "Tuple"; elts: PyNode[] })
  | (Base & { kind: "Set"; elts: PyNode[] })
  | (Base & { kind: "Dict"; keys: PyNode[]; values: PyNode[] });

export type PyNodeOf<K extends PyNode["kind"]> = Extract<PyNode, { kind: K }>;

/** The direct children of a node, in source order (Python's `ast.iter_child_nodes`). */
export function childNodes(node: PyNode): PyNode[] {
  switch (node.kind) {
    case "Attribute":
      return [node.value];
    case "Subscript":
      return [node.value, node.slice];
    case "Call":
      return [node.func, ...node.args];
    case "BoolOp":
      return node.values;
    case "UnaryOp":
      return [node.operand];
    case "BinOp":
      return [node.left, node.right];
    case "Compare":
      return [node.left, ...node.comparators];
    case "List":
    case "Tuple":
    case "Set":
      return node.elts;
    case "Dict":
      return node.keys.flatMap((key, index) => [key, node.values[index] as PyNode]);
    default:
      return [];
  }
}
