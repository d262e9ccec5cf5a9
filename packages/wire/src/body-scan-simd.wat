;; The DATA body scan of data-decoder.ts in WebAssembly SIMD (see body-scan-simd.ts).
;; Byte j of the chunk is at address 16 + j; a zero byte before it, a "!" after it.
;; scan(from, to): the first lane j in [from - 1, to), raised to `from`, with
;;   (c[j] == CR) xor (c[j+1] == LF)    a CR without LF, or an LF without CR
;;   or c[j] == LF and c[j+1] == "."    a line that starts with a dot
;; or -1 when there is none. 64 lanes per step; lanes past `to` read stale bytes and are
;; ignored (the first flagged lane at or past `to` means none before it).
(module (memory (export "memory") 5)
  (func (export "scan") (param $from i32) (param $to i32) (result i32)
    (local $j i32) (local $a i32) (local $v v128) (local $n v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $j (i32.sub (local.get $from) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $j) (local.get $to)))
        (local.set $a (i32.add (local.get $j) (i32.const 16)))
        (local.set $b0 (v128.or (v128.xor (i8x16.eq (local.tee $v (v128.load offset=0 (local.get $a))) (v128.const i32x4 0x0d0d0d0d 0x0d0d0d0d 0x0d0d0d0d 0x0d0d0d0d)) (i8x16.eq (local.tee $n (v128.load offset=1 (local.get $a))) (v128.const i32x4 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a))) (v128.and (i8x16.eq (local.get $v) (v128.const i32x4 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a)) (i8x16.eq (local.get $n) (v128.const i32x4 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e)))))
        (local.set $b1 (v128.or (v128.xor (i8x16.eq (local.tee $v (v128.load offset=16 (local.get $a))) (v128.const i32x4 0x0d0d0d0d 0x0d0d0d0d 0x0d0d0d0d 0x0d0d0d0d)) (i8x16.eq (local.tee $n (v128.load offset=17 (local.get $a))) (v128.const i32x4 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a))) (v128.and (i8x16.eq (local.get $v) (v128.const i32x4 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a)) (i8x16.eq (local.get $n) (v128.const i32x4 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e)))))
        (local.set $b2 (v128.or (v128.xor (i8x16.eq (local.tee $v (v128.load offset=32 (local.get $a))) (v128.const i32x4 0x0d0d0d0d 0x0d0d0d0d 0x0d0d0d0d 0x0d0d0d0d)) (i8x16.eq (local.tee $n (v128.load offset=33 (local.get $a))) (v128.const i32x4 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a))) (v128.and (i8x16.eq (local.get $v) (v128.const i32x4 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a)) (i8x16.eq (local.get $n) (v128.const i32x4 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e)))))
        (local.set $b3 (v128.or (v128.xor (i8x16.eq (local.tee $v (v128.load offset=48 (local.get $a))) (v128.const i32x4 0x0d0d0d0d 0x0d0d0d0d 0x0d0d0d0d 0x0d0d0d0d)) (i8x16.eq (local.tee $n (v128.load offset=49 (local.get $a))) (v128.const i32x4 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a))) (v128.and (i8x16.eq (local.get $v) (v128.const i32x4 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a 0x0a0a0a0a)) (i8x16.eq (local.get $n) (v128.const i32x4 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e 0x2e2e2e2e)))))
        (if (v128.any_true (v128.or (v128.or (v128.or (local.get $b0) (local.get $b1)) (local.get $b2)) (local.get $b3)))
          (then
            (local.set $j (i32.add (local.get $j) (i32.wrap_i64 (i64.ctz (i64.or (i64.or (i64.or (i64.extend_i32_u (i8x16.bitmask (local.get $b0))) (i64.shl (i64.extend_i32_u (i8x16.bitmask (local.get $b1))) (i64.const 16))) (i64.shl (i64.extend_i32_u (i8x16.bitmask (local.get $b2))) (i64.const 32))) (i64.shl (i64.extend_i32_u (i8x16.bitmask (local.get $b3))) (i64.const 48)))))))
            (if (i32.ge_s (local.get $j) (local.get $to)) (then (return (i32.const -1))))
            (return (select (local.get $from) (local.get $j) (i32.lt_s (local.get $j) (local.get $from))))))
        (local.set $j (i32.add (local.get $j) (i32.const 64)))
        (br $next)))
    (i32.const -1)))
