// Makes the sluice binary depend on glibc's GLIBC_ABI_DT_RELR version, which
// glibc (2.36+) requires of a binary whose relative relocations are packed
// (DT_RELR). lld 15 and later add that dependency themselves with
// -z pack-relative-relocs; lld 14 (Debian 12's) packs them with
// --pack-dyn-relocs=relr but doesn't, so CMakeLists.txt links this file then.
extern "C" char GLIBC_ABI_DT_RELR;  // an absolute symbol glibc defines in that version
__asm__(".symver GLIBC_ABI_DT_RELR, GLIBC_ABI_DT_RELR@GLIBC_ABI_DT_RELR");
[[gnu::used]] static const void* const kNeedsDtRelr = &GLIBC_ABI_DT_RELR;
