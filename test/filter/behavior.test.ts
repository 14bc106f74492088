/**
 * labtasker v1's matching tests (tests/test_client/test_core/test_query_transpiler/test_behavior.py): the same two
 * documents, the same queries, the same expected matches, which v1 checks against its database. Each runs through
 * both of our evaluators. The cases v1 comments out because MongoDB rejects them (array elements inside
 * arithmetic) are checked too: they match nothing here, where MongoDB fails the query.
 */
import { describe, it } from "vitest";
import { expectMatches } from "./helpers.js";

const DOCUMENTS = [
  {
    idx: "doc-1",
    args: {
      foo: 5,
      bar: 10,
      baz: 6.28,
      text: "bad results!",
      char: "Z",
      flag: false,
      nested_dict: {
        level1_key1: 50,
        level1_key2: { level2_key1: 100, level2_key2: { level3_key1: "shallow data", level3_key2: -42.42 } },
      },
      mixed_list: [99, "example", -3.5, { inner_dict: { key: "another_value" } }, ["list_item1", "list_item2", 0]],
      num_list: [-5, 0, 2, 8, 10],
      dict_list: [
        { key1: "valueX", key2: -1 },
        { keyA: "valueY", keyB: 7.77 },
      ],
      boolean_values: [false, false, true],
      complex_structure: {
        list_in_dict: [
          { id: 3, value: "cherry" },
          { id: 4, value: "date" },
        ],
        dict_in_list: [["a", "b", "c"], { gamma: "g", delta: "d" }],
      },
    },
  },
  {
    idx: "doc-2",
    args: {
      foo: 1,
      bar: 2,
      baz: 3.14,
      text: "good jobs!",
      char: "a",
      flag: true,
      nested_dict: {
        level1_key1: 10,
        level1_key2: { level2_key1: 20, level2_key2: { level3_key1: "deep value", level3_key2: 99.99 } },
      },
      mixed_list: [42, "sample", 7.89, { inner_dict: { key: "value" } }, ["sublist1", "sublist2", 123]],
      num_list: [1, 2, 3, 4, 5],
      dict_list: [
        { key1: "val1", key2: 2 },
        { keyA: "valA", keyB: 3.5 },
      ],
      boolean_values: [true, false, true],
      complex_structure: {
        list_in_dict: [
          { id: 1, value: "apple" },
          { id: 2, value: "banana" },
        ],
        dict_in_list: [["x", "y", "z"], { alpha: "a", beta: "b" }],
      },
    },
  },
];

const D1 = ["doc-1"];
const D2 = ["doc-2"];
const BOTH = ["doc-1", "doc-2"];
const NONE: string[] = [];

async function expectBehaviour(text: string, expected: string[]): Promise<void> {
  await expectMatches(text, DOCUMENTS, expected, { fields: null });
}

describe("v1 behaviour: basic and arithmetic", () => {
  it.each([
    ["args.foo == 5", D1],
    ["args.foo + args.bar == 3", D2],
    ["args.baz * 2 == 6.28", D2],
    ["args.foo * args.bar == 2", D2],
    ["args.baz / args.bar == 1.57", D2],
  ])("%s", async (text, expected) => expectBehaviour(text, expected));
});

describe("v1 behaviour: simple matching", () => {
  it.each([
    ["args.text == 'good jobs!'", D2],
    ["args.char == 'a'", D2],
    ["args.flag == True", D2],
    ["args.foo == 1", D2],
    ["args.bar == 2", D2],
    ["args.baz == 3.14", D2],
    ["args.nested_dict['level1_key1'] == 10", D2],
    ["args.nested_dict['level1_key2']['level2_key1'] == 20", D2],
    ["args.nested_dict['level1_key2']['level2_key2']['level3_key1'] == 'deep value'", D2],
    ["args.nested_dict['level1_key2']['level2_key2']['level3_key2'] == 99.99", D2],
    ["args.mixed_list[0] == 42", D2],
    ["args.mixed_list[1] == 'sample'", D2],
    ["args.mixed_list[2] == 7.89", D2],
    ["args.num_list[0] == 1", D2],
    ["args.num_list[4] == 5", D2],
    ["args.dict_list[0]['key1'] == 'val1'", D2],
    ["args.dict_list[1]['keyB'] == 3.5", D2],
    ["args.boolean_values[0] == True", D2],
    ["args.boolean_values[1] == False", BOTH],
    ["args.complex_structure['list_in_dict'][0]['value'] == 'apple'", D2],
    ["args.complex_structure['dict_in_list'][1]['alpha'] == 'a'", D2],
    ["args.foo == 1 and args.bar == 2", D2],
    ["args.nested_dict['level1_key1'] > 5 and 15 > args.nested_dict['level1_key1']", D2],
    ["args.foo < 0", NONE],
    ["args.foo == 1 or args.bar == 99", D2],
    ["args.foo == 1 and args.bar == 2 and args.baz > 3", D2],
    ["args.nested_dict.level1_key1 == 10 and args.nested_dict.level1_key2.level2_key1 == 20", D2],
    ["args.complex_structure.list_in_dict[0].value == 'apple'", D2],
    ["args.boolean_values[0] == True and args.boolean_values[1] == False", D2],
  ])("%s", async (text, expected) => expectBehaviour(text, expected));
});

describe("v1 behaviour: regex", () => {
  it.each([
    ["regex(args.text, '^good .*') and args.char == 'A'", NONE],
    ["regex(args.text, '.*jobs!$') or args.foo == 99", D2],
    ["regex(args.nested_dict.level1_key2.level2_key2.level3_key1, 'deep.*')", D2],
    ["regex(args.mixed_list[1], 'sample')", D2],
    ["regex(args.text, '^good .*')", D2],
    ["regex(args.text, '^bad .*')", D1],
    ["regex(args.text, '.*work!$')", NONE],
    ["regex(args.char, '^[A-Z]$')", D1],
    ["regex(args.char, '^[a-z]$')", D2],
    ["regex(args.text, 'GOOD JOBS!')", NONE],
    ["regex(args.text, '(?i)GOOD JOBS!')", D2],
    ["regex(args.nested_dict.level1_key2.level2_key2.level3_key1, '^shallow.*')", D1],
    ["regex(args.text, '.*good.*')", D2],
    ["regex(args.text, '.*bad.*')", D1],
    ["regex(args.text, r'.*\\!$')", BOTH],
    ["regex(args.text, r'.*\\?$')", NONE],
    ["regex(args.mixed_list[1], '^SAMPLE$')", NONE],
    ["regex(args.mixed_list[1], '(?i)^SAMPLE$')", D2],
    ["regex(args.complex_structure.list_in_dict[0].value, 'apple')", D2],
    ["regex(args.complex_structure.list_in_dict[0].value, 'banana')", NONE],
    ["regex(args.text, '^good .*') or regex(args.char, '^[A-Z]$')", BOTH],
    ["regex(args.text, '^bad .*') or regex(args.char, '^[a-z]$')", BOTH],
    ["regex(args.text, '^good .*') and regex(args.char, '^[A-Z]$')", NONE],
    ["regex(args.text, '^good .*') and regex(args.char, '^[a-z]$')", D2],
    ["regex(args.non_existent_key, '.*')", NONE],
    ["regex(args.dict_list[1].keyA, 'valA')", D2],
    ["regex(args.dict_list[1].keyA, 'valB')", NONE],
    ["regex(args.dict_list[1].keyA, 'value.*')", D1],
  ])("%s", async (text, expected) => expectBehaviour(text, expected));
});

describe("v1 behaviour: exists and mixed", () => {
  it.each([
    ["exists(args.text)", BOTH],
    ["exists(args.non_existent_key)", NONE],
    ["exists(args.nested_dict.level1_key1)", BOTH],
    ["exists(args.nested_dict.level1_key2.level2_key1)", BOTH],
    ["exists(args.nested_dict.level1_key2.level2_key2.level3_key1)", BOTH],
    ["exists(args.nested_dict.level1_key2.level2_key2.level3_key3)", NONE],
    ["exists(args.mixed_list)", BOTH],
    ["exists(args.mixed_list[0])", BOTH],
    ["exists(args.mixed_list[10])", NONE],
    ["exists(args.dict_list[1].keyA)", BOTH],
    ["exists(args.dict_list[1].keyC)", NONE],
    ["exists(args.num_list[4])", BOTH],
    ["exists(args.num_list[10])", NONE],
    ["exists(args.complex_structure.list_in_dict)", BOTH],
    ["exists(args.complex_structure.list_in_dict[0].value)", BOTH],
    ["exists(args.complex_structure.list_in_dict[2])", NONE],
    ["exists(args.boolean_values[2])", BOTH],
    ["exists(args.boolean_values[3])", NONE],
    ["exists(args.non_existent_key, False)", BOTH],
    ["exists(args.foo, False)", NONE],
    ["exists(args.nested_dict.level1_key2, False)", NONE],
    ["exists(args.nested_dict.level1_key2.level2_key3, False)", BOTH],
    ["exists(args.mixed_list[1], False)", NONE],
    ["exists(args.mixed_list[5], False)", BOTH],
    ["exists(args.dict_list[0].key1, False)", NONE],
    ["exists(args.dict_list[0].key3, False)", BOTH],
    ["regex(args.text, 'bad .*')", D1],
    ["regex(args.text, '.*wrong$')", NONE],
    ["exists(args.text) and regex(args.text, '^good .*')", D2],
    ["exists(args.text) and regex(args.text, 'bad .*')", D1],
    ["exists(args.non_existent_key) or regex(args.text, '^good .*')", D2],
    [
      "exists(args.nested_dict.level1_key2.level2_key2.level3_key1) and regex(args.nested_dict.level1_key2.level2_key2.level3_key1, '^deep')",
      D2,
    ],
    [
      "exists(args.nested_dict.level1_key2.level2_key2.level3_key1) and regex(args.nested_dict.level1_key2.level2_key2.level3_key1, '^shallow')",
      D1,
    ],
    ["exists(args.dict_list[0].key1) and exists(args.dict_list[1].keyA)", BOTH],
    ["exists(args.dict_list[0].key1) and exists(args.dict_list[1].keyC)", NONE],
    ["exists(args.dict_list[0].key1) or exists(args.dict_list[1].keyC)", BOTH],
  ])("%s", async (text, expected) => expectBehaviour(text, expected));
});

describe("v1 behaviour: multi-document matching", () => {
  it.each([
    ["args.foo + args.bar == 15", D1],
    ["args.foo * args.baz > 31.39 and args.foo * args.baz < 31.41", D1],
    ["args.bar - args.foo == 5", D1],
    ["args.baz / args.foo > 1.2559 and args.baz / args.foo < 1.2561", D1],
    ["args.foo == 5 or args.bar == 99", D1],
    ["args.foo == 5 and args.bar == 10 and args.baz > 6.27", D1],
    ["args.foo > 3 and args.bar < 15", D1],
    ["args.num_list[0] < 0 and args.num_list[1] == 0", D1],
    ["args.boolean_values[2] == True and args.boolean_values[1] == False", BOTH],
    ["args.dict_list[1].keyB > 7.76 and args.dict_list[1].keyB < 7.78", D1],
    ["regex(args.nested_dict.level1_key2.level2_key2.level3_key1, 'shallow.*')", D1],
    ["regex(args.mixed_list[1], '.*ample')", BOTH],
    ["exists(args.unknown_field)", NONE],
    ["exists(args.mixed_list[3].inner_dict.key)", BOTH],
    ["exists(args.mixed_list[4][2])", BOTH],
    ["exists(args.mixed_list[4][99])", NONE],
    ["args.nested_dict.level1_key2.level2_key1 + args.nested_dict.level1_key1 == 150", D1],
    ["args.mixed_list[0] > 50 or args.dict_list[0].key2 < 0", D1],
    ["args.dict_list[0].key2 < 0 and args.dict_list[1].keyB > 7.76", D1],
    ["args.foo == 1 or args.bar == 10", BOTH],
    ["args.baz > 6.27 and args.foo < 10", D1],
    ["args.nested_dict.level1_key1 == 50 and args.nested_dict.level1_key2.level2_key1 == 100", D1],
    ["args.mixed_list[1] == 'example'", D1],
    ["args.mixed_list[2] > -3.51 and args.mixed_list[2] < -3.49", D1],
    ["args.num_list[0] == -5", D1],
    ["args.dict_list[0].key1 == 'valueX'", D1],
    ["args.boolean_values[0] == False", D1],
    ["args.complex_structure.list_in_dict[0].value == 'cherry'", D1],
    ["args.complex_structure.dict_in_list[1].gamma == 'g'", D1],
    [
      "args.nested_dict.level1_key2.level2_key2.level3_key2 < -42.41 and args.nested_dict.level1_key2.level2_key2.level3_key2 > -42.43",
      D1,
    ],
    ["args.num_list[0] < -4.99 and args.num_list[0] > -5.01", D1],
    ["args.dict_list[0].key2 == -1", D1],
    ["args.mixed_list[2] == -3.5", D1],
    ["-args.foo == -5", D1],
    ["-args.bar == -10", D1],
    ["-args.baz > -6.29 and -args.baz < -6.27", D1],
    ["-args.nested_dict.level1_key2.level2_key2.level3_key2 > 42.41 and -args.nested_dict.level1_key2.level2_key2.level3_key2 < 42.43", D1],
    ["args.foo + (-args.bar) == -5", D1],
    ["(-args.bar) / 2 == -5", D1],
    ["-args.nested_dict.level1_key1 == -50", D1],
    ["-args.nested_dict.level1_key2.level2_key1 == -100", D1],
    ["-(args.foo + args.bar) == -15", D1],
    ["-(args.bar - args.foo) == -5", D1],
    ["-(args.baz / args.foo) > -1.2561 and -(args.baz / args.foo) < -1.2559", D1],
    ["-(args.nested_dict.level1_key2.level2_key1 + args.nested_dict.level1_key1) == -150", D1],
    ["-(args.foo + args.bar) + args.baz > -8.73 and -(args.foo + args.bar) + args.baz < -8.71", D1],
  ])("%s", async (text, expected) => expectBehaviour(text, expected));
});

describe("v1 behaviour: array elements inside arithmetic (MongoDB fails the query; here they match nothing)", () => {
  it.each([
    ["args.num_list[2] - args.foo == 2"],
    ["args.dict_list[1]['keyB'] / args.bar == 1.75"],
    ["args.num_list[1] + args.num_list[3] == 6"],
    ["-args.num_list[0] == 5"],
    ["args.num_list[0] * (-1) == 5"],
  ])("%s", async (text) => expectBehaviour(text, NONE));
});
