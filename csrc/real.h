/* real.h: the names a type-generic body (.inc) uses for its floating-point
 * type. Included with PYMLP_REAL set to 32 or 64 it defines them for float
 * or double; included with PYMLP_REAL undefined it undefines them, so that
 * the next type can be set. No include guard: it is meant to be included
 * repeatedly. */
#if !defined(PYMLP_REAL)
#undef REAL
#undef UINT
#undef EXPONENT_MASK
#undef SFX
#undef EXP
#undef EXPM1
#undef LOG1P
#undef TANH
#undef ERFC
#undef SQRT
#undef FABS
#elif PYMLP_REAL == 32
#define REAL float
#define UINT uint32_t
#define EXPONENT_MASK 0x7f800000u
#define SFX(name) name##_f32
#define EXP expf
#define EXPM1 expm1f
#define LOG1P log1pf
#define TANH tanhf
#define ERFC erfcf
#define SQRT sqrtf
#define FABS fabsf
#elif PYMLP_REAL == 64
#define REAL double
#define UINT uint64_t
#define EXPONENT_MASK 0x7ff0000000000000ull
#define SFX(name) name##_f64
#define EXP exp
#define EXPM1 expm1
#define LOG1P log1p
#define TANH tanh
#define ERFC erfc
#define SQRT sqrt
#define FABS fabs
#endif
