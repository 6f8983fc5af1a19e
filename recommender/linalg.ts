// The dense linear algebra EASE needs, on row-major Float64Arrays.

/**
 * Inverts a symmetric positive definite n×n matrix in place (Gauss–Jordan without pivoting,
 * which is stable for SPD matrices). n³ multiply-adds; the inner loop runs along contiguous rows.
 */
export function invertSpdInPlace(a: Float64Array, n: number): void {
  for (let k = 0; k < n; k++) {
    const rk = k * n
    const pivot = a[rk + k]!
    if (!(pivot > 0)) throw new Error('matrix is not positive definite')
    a[rk + k] = 1
    const inv = 1 / pivot
    for (let j = 0; j < n; j++) a[rk + j]! *= inv
    for (let i = 0; i < n; i++) {
      if (i === k) continue
      const ri = i * n
      const f = a[ri + k]!
      if (f === 0) continue
      a[ri + k] = 0
      for (let j = 0; j < n; j++) a[ri + j]! -= f * a[rk + j]!
    }
  }
}
