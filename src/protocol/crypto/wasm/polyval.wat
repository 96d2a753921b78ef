;; POLYVAL (RFC 8452 §3) and the AES-GCM-SIV counter helpers, for
;; src/protocol/gcmsiv-wasm.ts. Assembled at build time by scripts/build-wasm.mjs.
;;
;; Constant time: the carry-less 64x64 multiply uses integer multiplications
;; with "holes" (BearSSL's ctmul64 method, https://www.bearssl.org/constanttime.html),
;; so no memory access or branch depends on the key or the data. POLYVAL is
;; the little-endian sibling of GHASH, so its bit order needs no reflection;
;; the high halves of the products come from bit-reversed operands.
(module
  (memory (export "memory") 1)

  ;; Low 64 bits of the carry-less product of x and y.
  (func $bmul64 (param $x i64) (param $y i64) (result i64)
    (local $x0 i64) (local $x1 i64) (local $x2 i64) (local $x3 i64)
    (local $y0 i64) (local $y1 i64) (local $y2 i64) (local $y3 i64)
    (local.set $x0 (i64.and (local.get $x) (i64.const 0x1111111111111111)))
    (local.set $x1 (i64.and (local.get $x) (i64.const 0x2222222222222222)))
    (local.set $x2 (i64.and (local.get $x) (i64.const 0x4444444444444444)))
    (local.set $x3 (i64.and (local.get $x) (i64.const 0x8888888888888888)))
    (local.set $y0 (i64.and (local.get $y) (i64.const 0x1111111111111111)))
    (local.set $y1 (i64.and (local.get $y) (i64.const 0x2222222222222222)))
    (local.set $y2 (i64.and (local.get $y) (i64.const 0x4444444444444444)))
    (local.set $y3 (i64.and (local.get $y) (i64.const 0x8888888888888888)))
    (i64.or
      (i64.or
        (i64.and
          (i64.xor (i64.xor (i64.mul (local.get $x0) (local.get $y0)) (i64.mul (local.get $x1) (local.get $y3)))
                   (i64.xor (i64.mul (local.get $x2) (local.get $y2)) (i64.mul (local.get $x3) (local.get $y1))))
          (i64.const 0x1111111111111111))
        (i64.and
          (i64.xor (i64.xor (i64.mul (local.get $x0) (local.get $y1)) (i64.mul (local.get $x1) (local.get $y0)))
                   (i64.xor (i64.mul (local.get $x2) (local.get $y3)) (i64.mul (local.get $x3) (local.get $y2))))
          (i64.const 0x2222222222222222)))
      (i64.or
        (i64.and
          (i64.xor (i64.xor (i64.mul (local.get $x0) (local.get $y2)) (i64.mul (local.get $x1) (local.get $y1)))
                   (i64.xor (i64.mul (local.get $x2) (local.get $y0)) (i64.mul (local.get $x3) (local.get $y3))))
          (i64.const 0x4444444444444444))
        (i64.and
          (i64.xor (i64.xor (i64.mul (local.get $x0) (local.get $y3)) (i64.mul (local.get $x1) (local.get $y2)))
                   (i64.xor (i64.mul (local.get $x2) (local.get $y1)) (i64.mul (local.get $x3) (local.get $y0))))
          (i64.const 0x8888888888888888)))))

  ;; Bit reversal of a 64-bit word, branch-free.
  (func $rev64 (param $x i64) (result i64)
    (local.set $x (i64.or (i64.shl (i64.and (local.get $x) (i64.const 0x5555555555555555)) (i64.const 1))
                          (i64.and (i64.shr_u (local.get $x) (i64.const 1)) (i64.const 0x5555555555555555))))
    (local.set $x (i64.or (i64.shl (i64.and (local.get $x) (i64.const 0x3333333333333333)) (i64.const 2))
                          (i64.and (i64.shr_u (local.get $x) (i64.const 2)) (i64.const 0x3333333333333333))))
    (local.set $x (i64.or (i64.shl (i64.and (local.get $x) (i64.const 0x0f0f0f0f0f0f0f0f)) (i64.const 4))
                          (i64.and (i64.shr_u (local.get $x) (i64.const 4)) (i64.const 0x0f0f0f0f0f0f0f0f))))
    (local.set $x (i64.or (i64.shl (i64.and (local.get $x) (i64.const 0x00ff00ff00ff00ff)) (i64.const 8))
                          (i64.and (i64.shr_u (local.get $x) (i64.const 8)) (i64.const 0x00ff00ff00ff00ff))))
    (local.set $x (i64.or (i64.shl (i64.and (local.get $x) (i64.const 0x0000ffff0000ffff)) (i64.const 16))
                          (i64.and (i64.shr_u (local.get $x) (i64.const 16)) (i64.const 0x0000ffff0000ffff))))
    (i64.rotl (local.get $x) (i64.const 32)))

  ;; S = POLYVAL update over nblocks 16-byte blocks at $data, with H at $h and
  ;; the running state S at $s (both 16 bytes, little-endian u64 pairs).
  (func (export "polyval") (param $s i32) (param $h i32) (param $data i32) (param $nblocks i32)
    (local $h0 i64) (local $h1 i64) (local $h2 i64) (local $h0r i64) (local $h1r i64) (local $h2r i64)
    (local $y0 i64) (local $y1 i64) (local $y2 i64) (local $y0r i64) (local $y1r i64) (local $y2r i64)
    (local $z0 i64) (local $z1 i64) (local $z2 i64) (local $z0h i64) (local $z1h i64) (local $z2h i64)
    (local $v0 i64) (local $v1 i64) (local $v2 i64) (local $v3 i64)
    (local $p i32) (local $end i32)
    (local.set $h0 (i64.load (local.get $h)))
    (local.set $h1 (i64.load offset=8 (local.get $h)))
    (local.set $h2 (i64.xor (local.get $h0) (local.get $h1)))
    (local.set $h0r (call $rev64 (local.get $h0)))
    (local.set $h1r (call $rev64 (local.get $h1)))
    (local.set $h2r (i64.xor (local.get $h0r) (local.get $h1r)))
    (local.set $y0 (i64.load (local.get $s)))
    (local.set $y1 (i64.load offset=8 (local.get $s)))
    (local.set $p (local.get $data))
    (local.set $end (i32.add (local.get $data) (i32.shl (local.get $nblocks) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $y0 (i64.xor (local.get $y0) (i64.load (local.get $p))))
        (local.set $y1 (i64.xor (local.get $y1) (i64.load offset=8 (local.get $p))))
        (local.set $y2 (i64.xor (local.get $y0) (local.get $y1)))
        (local.set $y0r (call $rev64 (local.get $y0)))
        (local.set $y1r (call $rev64 (local.get $y1)))
        (local.set $y2r (i64.xor (local.get $y0r) (local.get $y1r)))
        (local.set $z0 (call $bmul64 (local.get $y0) (local.get $h0)))
        (local.set $z1 (call $bmul64 (local.get $y1) (local.get $h1)))
        (local.set $z2 (call $bmul64 (local.get $y2) (local.get $h2)))
        (local.set $z0h (call $bmul64 (local.get $y0r) (local.get $h0r)))
        (local.set $z1h (call $bmul64 (local.get $y1r) (local.get $h1r)))
        (local.set $z2h (call $bmul64 (local.get $y2r) (local.get $h2r)))
        ;; Karatsuba middle terms.
        (local.set $z2 (i64.xor (local.get $z2) (i64.xor (local.get $z0) (local.get $z1))))
        (local.set $z2h (i64.xor (local.get $z2h) (i64.xor (local.get $z0h) (local.get $z1h))))
        ;; High halves back from the reversed domain (255-bit product: shift by one).
        (local.set $z0h (i64.shr_u (call $rev64 (local.get $z0h)) (i64.const 1)))
        (local.set $z1h (i64.shr_u (call $rev64 (local.get $z1h)) (i64.const 1)))
        (local.set $z2h (i64.shr_u (call $rev64 (local.get $z2h)) (i64.const 1)))
        (local.set $v0 (local.get $z0))
        (local.set $v1 (i64.xor (local.get $z0h) (local.get $z2)))
        (local.set $v2 (i64.xor (local.get $z1) (local.get $z2h)))
        (local.set $v3 (local.get $z1h))
        ;; Montgomery reduction by x^128 modulo x^128 + x^127 + x^126 + x^121 + 1.
        (local.set $v2 (i64.xor (local.get $v2)
          (i64.xor (i64.xor (local.get $v0) (i64.shr_u (local.get $v0) (i64.const 1)))
                   (i64.xor (i64.shr_u (local.get $v0) (i64.const 2)) (i64.shr_u (local.get $v0) (i64.const 7))))))
        (local.set $v1 (i64.xor (local.get $v1)
          (i64.xor (i64.shl (local.get $v0) (i64.const 63))
                   (i64.xor (i64.shl (local.get $v0) (i64.const 62)) (i64.shl (local.get $v0) (i64.const 57))))))
        (local.set $v3 (i64.xor (local.get $v3)
          (i64.xor (i64.xor (local.get $v1) (i64.shr_u (local.get $v1) (i64.const 1)))
                   (i64.xor (i64.shr_u (local.get $v1) (i64.const 2)) (i64.shr_u (local.get $v1) (i64.const 7))))))
        (local.set $v2 (i64.xor (local.get $v2)
          (i64.xor (i64.shl (local.get $v1) (i64.const 63))
                   (i64.xor (i64.shl (local.get $v1) (i64.const 62)) (i64.shl (local.get $v1) (i64.const 57))))))
        (local.set $y0 (local.get $v2))
        (local.set $y1 (local.get $v3))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (i64.store (local.get $s) (local.get $y0))
    (i64.store offset=8 (local.get $s) (local.get $y1)))

  ;; Writes nblocks AES-GCM-SIV counter blocks at $out from the 16-byte initial
  ;; block at $iv: the first 32 bits count up little-endian, wrapping modulo
  ;; 2^32 (RFC 8452 §4); the other 96 bits stay fixed.
  (func (export "ctr_blocks") (param $out i32) (param $iv i32) (param $nblocks i32)
    (local $c i32) (local $a i32) (local $b i64) (local $end i32)
    (local.set $c (i32.load (local.get $iv)))
    (local.set $a (i32.load offset=4 (local.get $iv)))
    (local.set $b (i64.load offset=8 (local.get $iv)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $nblocks) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (i32.store (local.get $out) (local.get $c))
        (i32.store offset=4 (local.get $out) (local.get $a))
        (i64.store offset=8 (local.get $out) (local.get $b))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $next))))

  ;; dst[i] ^= src[i] for len bytes (8 at a time, then the tail).
  (func (export "xor_into") (param $dst i32) (param $src i32) (param $len i32)
    (local $end i32) (local $end8 i32)
    (local.set $end (i32.add (local.get $dst) (local.get $len)))
    (local.set $end8 (i32.sub (local.get $end) (i32.and (local.get $len) (i32.const 7))))
    (block $done8
      (loop $next8
        (br_if $done8 (i32.ge_u (local.get $dst) (local.get $end8)))
        (i64.store (local.get $dst) (i64.xor (i64.load (local.get $dst)) (i64.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (br $next8)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (i32.store8 (local.get $dst) (i32.xor (i32.load8_u (local.get $dst)) (i32.load8_u (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (br $next))))
)
