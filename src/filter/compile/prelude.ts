/**
 * MongoDB's matching semantics written in JSONata: the definitions every compiled filter expression starts with.
 * They are a second, independent implementation of what src/filter/runtime does in JavaScript (the conformance
 * suite runs every case through both), and they need nothing but stock JSONata:
 *
 * - Documents are the broker's objects; a JavaScript Date is recognised as an object without keys whose JSON form
 *   is a string, and read with `$toMillis`. Dates made by the filter itself are `{"$$date": ms}` (stored
 *   documents can never hold a `$`-prefixed key, v1 rejects them).
 * - A missing field is `undefined` (JSONata drops it from arrays, so candidate values are passed to callbacks one
 *   by one, never collected in a list).
 * - Arrays that must stay nested are built with `[[$x]]`: JSONata flattens `[$x]` when `$x` is an array.
 * - A failed aggregation expression is `{"$$err": true}`, carried the way src/filter/runtime/agg.ts carries it.
 */
export const JSONATA_PRELUDE = String.raw`
$ERR := {"$$err": true};
$isErr := function($v){ $type($v) = "object" and $lookup($v, "$$err") = true };
$isDate := function($v){
  $type($v) = "object" and ($exists($lookup($v, "$$date")) or ($count($keys($v)) = 0 and $substring($string($v), 0, 1) = '"'))
};
$isDoc := function($v){ $type($v) = "object" and $not($isDate($v)) };
$ms := function($v){
  $exists($lookup($v, "$$date")) ? $lookup($v, "$$date") : ($s := $string($v); $toMillis($substring($s, 1, $length($s) - 2)))
};
$nullish := function($v){ $not($exists($v)) or $type($v) = "null" };
$rank := function($v){(
  $t := $type($v);
  $t = "null" ? 5 : $t = "number" ? 10 : $t = "string" ? 15 : $t = "boolean" ? 40 : $t = "array" ? 25 :
  $t = "object" ? ($isDate($v) ? 45 : 20) : 0
)};
$cmp := function($a, $b){(
  $ra := $rank($a);
  $rb := $rank($b);
  $ra != $rb ? ($ra < $rb ? -1 : 1) :
  $ra = 10 or $ra = 15 ? ($a < $b ? -1 : $a > $b ? 1 : 0) :
  $ra = 40 ? ($a = $b ? 0 : $a ? 1 : -1) :
  $ra = 45 ? ($d := $ms($a) - $ms($b); $d < 0 ? -1 : $d > 0 ? 1 : 0) :
  $ra = 20 ? ($ka := $keys($a); $kb := $keys($b); $cmpDoc($a, $b, $ka, $kb, 0, $count($ka), $count($kb))) :
  $ra = 25 ? $cmpArr($a, $b, 0, $count($a), $count($b)) :
  0
)};
$cmpArr := function($a, $b, $i, $na, $nb){
  $i >= $na or $i >= $nb ? ($na < $nb ? -1 : $na > $nb ? 1 : 0) :
  ($c := $cmp($a[$i], $b[$i]); $c != 0 ? $c : $cmpArr($a, $b, $i + 1, $na, $nb))
};
$cmpDoc := function($a, $b, $ka, $kb, $i, $na, $nb){
  $i >= $na or $i >= $nb ? ($na < $nb ? -1 : $na > $nb ? 1 : 0) : (
    $x := $ka[$i];
    $y := $kb[$i];
    $va := $lookup($a, $x);
    $vb := $lookup($b, $y);
    $rt := $rank($va) - $rank($vb);
    $rt != 0 ? ($rt < 0 ? -1 : 1) :
    $x != $y ? ($x < $y ? -1 : 1) :
    ($c := $cmp($va, $vb); $c != 0 ? $c : $cmpDoc($a, $b, $ka, $kb, $i + 1, $na, $nb))
  )
};
$hasType := function($v, $n){(
  $t := $type($v);
  $integral := $t = "number" and $v = $floor($v);
  $n = "number" ? $t = "number" :
  $n = "int" ? ($integral and $v >= -2147483648 and $v < 2147483648) :
  $n = "long" ? ($integral and ($v < -2147483648 or $v >= 2147483648) and $abs($v) < 9223372036854775808) :
  $n = "double" ? ($t = "number" and $not($integral and $abs($v) < 9223372036854775808)) :
  $n = "string" ? $t = "string" : $n = "object" ? $isDoc($v) : $n = "array" ? $t = "array" :
  $n = "bool" ? $t = "boolean" : $n = "date" ? $isDate($v) : $n = "null" ? $t = "null" : false
)};
$toDoc := function($a){ $merge($map($a, function($x, $i){ {$string($i): $x} })) };
$walk := function($o, $p, $i, $x, $f){(
  $c := $lookup($o, $p[$i]);
  $i + 1 = $count($p) ? ($type($c) = "array" ? $leaf($c, $x, $f) : $f($c)) :
  $type($c) = "array" ? $arr($c, $p, $i + 1, $x, $f) :
  $isDoc($c) ? $walk($c, $p, $i + 1, $x, $f) :
  $f($missing)
)};
$leaf := function($a, $x, $f){ ($x and $reduce($a, function($acc, $e){ $acc or $f($e) }, false)) or $f($a) };
$arr := function($a, $p, $i, $x, $f){(
  $k := $p[$i];
  $num := $contains($k, /^[0-9]+$/);
  $last := $i + 1 = $count($p);
  $reduce($a, function($acc, $e, $j){
    $acc or (
      $hit := $num and $string($j) = $k;
      $isDoc($e) ? ($walk($e, $p, $i, $x, $f) or ($hit and ($last ? $f($e) : $walk($e, $p, $i + 1, $x, $f)))) :
      $hit ? ($last ? $f($e) : ($type($e) = "array" and $arr($e, $p, $i + 1, $x, $f))) :
      false
    )
  }, false)
)};
$inList := function($v, $l){ $reduce($l, function($acc, $e){ $acc or $cmp($v, $e) = 0 }, false) };
$apath := function($o, $p, $i){(
  $c := $lookup($o, $p[$i]);
  $i + 1 = $count($p) ? $c :
  $isDoc($c) ? $apath($c, $p, $i + 1) :
  $type($c) = "array" ? $reduce($c, function($acc, $e){
    $isDoc($e) ? ($r := $apath($e, $p, $i + 1); $exists($r) ? $append($acc, $one($r)) : $acc) : $acc
  }, []) :
  $missing
)};
$one := function($v){ $type($v) = "array" ? [[$v]] : [$v] };
$nz := function($v){ $exists($v) ? $v : null };
$truthy := function($v){ $not($isErr($v) or $nullish($v) or $v = false or $v = 0) };
$addStep := function($s, $v){
  $isErr($s) or $type($s) = "null" ? $s :
  $isErr($v) ? $v :
  $nullish($v) ? null :
  $type($v) = "number" ? {"sum": $lookup($s, "sum") + $v, "date": $lookup($s, "date")} :
  $isDate($v) and $not($exists($lookup($s, "date"))) ? {"sum": $lookup($s, "sum"), "date": $ms($v)} :
  $ERR
};
$addEnd := function($s){
  $isErr($s) or $type($s) = "null" ? $s :
  $exists($lookup($s, "date")) ? {"$$date": $lookup($s, "date") + $lookup($s, "sum")} :
  $lookup($s, "sum")
};
$mulStep := function($s, $v){
  $isErr($s) or $type($s) = "null" ? $s : $isErr($v) ? $v : $nullish($v) ? null : $type($v) = "number" ? $s * $v : $ERR
};
$binary := function($op, $a, $b){
  $isErr($a) ? $a : $isErr($b) ? $b : $nullish($a) or $nullish($b) ? null :
  $op = "subtract" ? (
    $type($a) = "number" and $type($b) = "number" ? $a - $b :
    $isDate($a) and $isDate($b) ? $ms($a) - $ms($b) :
    $isDate($a) and $type($b) = "number" ? {"$$date": $ms($a) - $b} :
    $ERR
  ) :
  $type($a) = "number" and $type($b) = "number" and $b != 0 ? ($op = "divide" ? $a / $b : $a % $b) :
  $ERR
};
$abs1 := function($v){ $isErr($v) ? $v : $nullish($v) ? null : $type($v) = "number" ? $abs($v) : $ERR };
$compare := function($op, $a, $b){
  $isErr($a) ? $a : $isErr($b) ? $b : (
    $c := $cmp($a, $b);
    $op = "eq" ? $c = 0 : $op = "ne" ? $c != 0 : $op = "gt" ? $c > 0 : $op = "gte" ? $c >= 0 :
    $op = "lt" ? $c < 0 : $op = "lte" ? $c <= 0 : $c
  )
};
$in2 := function($v, $l){ $isErr($v) ? $v : $type($l) = "array" ? $reduce($l, function($acc, $e){ $acc or $cmp($e, $v) = 0 }, false) : $ERR };
$size1 := function($v){ $type($v) = "array" ? $count($v) : $ERR };
`;
