#include "impl/xv6/riscv_shim.h"

#include <gtest/gtest.h>

#include "impl/xv6/lab_tree.h"
#include "tests/support/cowcheck_runner.h"

namespace cow::xv6 {
namespace {

std::string lab_riscv_h() {
  return test::slurp(std::filesystem::path(COWCHECK_SOURCE_DIR) / "tests/xv6/lab/kernel/riscv.h");
}

TEST(RiscvShim, EveryStatementOfTheLabsHeaderBecomesAShimCall) {
  std::string text = lab_riscv_h();
  ASSERT_NE(first_inline_assembly(text), 0);
  std::string shimmed = shim_inline_assembly(text, "riscv.h");
  EXPECT_EQ(first_inline_assembly(shimmed), 0) << shimmed;
  EXPECT_NE(shimmed.find(R"(x = xv6_asm_read("csrr %0, scause");)"), std::string::npos);
  EXPECT_NE(shimmed.find(R"(xv6_asm_write("csrw stvec, %0", (unsigned long)(x));)"),
            std::string::npos);
  EXPECT_NE(shimmed.find(R"(xv6_asm("sfence.vma zero, zero");)"), std::string::npos);
  // Everything else is as it was: the PTE bits the lab defines.
  EXPECT_NE(shimmed.find("#define PTE_COW (1L << 8)"), std::string::npos);
}

TEST(RiscvShim, QualifiersSpellingsAndCommentsAreRead) {
  std::string text =
      "// asm volatile(\"in a comment\");\n"
      "static inline unsigned long r_time() { unsigned long x;\n"
      "  __asm__ __volatile__ (\"csrr %0, time\" : \"=r\" (x) : : \"memory\");\n"
      "  return x; }\n"
      "const char *s = \"asm(\";\n";
  std::string shimmed = shim_inline_assembly(text, "riscv.h");
  EXPECT_NE(shimmed.find(R"(x = xv6_asm_read("csrr %0, time");)"), std::string::npos) << shimmed;
  EXPECT_NE(shimmed.find("// asm volatile(\"in a comment\");"), std::string::npos);
  EXPECT_NE(shimmed.find("const char *s = \"asm(\";"), std::string::npos);
}

TEST(RiscvShim, AStatementItCannotReadIsNamedByFileAndLine) {
  try {
    shim_inline_assembly("int a;\nint b;\nasm volatile(\"csrr %0, sstatus\" : \"=r\"(x)\n",
                         "riscv.h");
    FAIL() << "no error";
  } catch (const LabError& e) {
    EXPECT_NE(std::string(e.what()).find("kernel/riscv.h:3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cow::xv6
