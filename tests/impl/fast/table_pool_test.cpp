#include "impl/fast/table_pool.h"

#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace cow::fast {
namespace {

TEST(TablePool, ATableIsOnePageOfEmptyEntries) {
  TablePool pool(512);
  TableId t = pool.table_alloc();
  EXPECT_EQ(pool.table_bytes(), 4096u);
  EXPECT_EQ(pool.refcount(t), 1u);
  for (std::uint32_t i = 0; i < 512; ++i) EXPECT_EQ(pool.entries(t)[i], Pte{0});
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(pool.entries(t)) % 4096, 0u) << "page aligned";
}

TEST(TablePool, EntriesStayPutWhileThePoolGrows) {
  TablePool pool(512);
  TableId first = pool.table_alloc();
  Pte* entries = pool.entries(first);
  entries[3] = pte_make_page(3);
  std::vector<TableId> more;
  for (int i = 0; i < 100; ++i) more.push_back(pool.table_alloc());
  EXPECT_EQ(pool.entries(first), entries);
  EXPECT_EQ(entries[3], pte_make_page(3));
  EXPECT_EQ(pool.tables_in_use(), 101u);
  EXPECT_LE(pool.tables_reserved(), 104u) << "reserves a few tables at a time, not more";
}

TEST(TablePool, RefcountsAndFreeing) {
  TablePool pool(512);
  TableId t = pool.table_alloc();
  pool.table_get(t);
  EXPECT_EQ(pool.refcount(t), 2u);
  EXPECT_EQ(pool.table_put(t), 1u);
  EXPECT_THROW(pool.table_free(t), std::logic_error) << "still referenced";
  EXPECT_EQ(pool.table_put(t), 0u);
  pool.table_free(t);
  EXPECT_EQ(pool.tables_in_use(), 0u);
  EXPECT_THROW(pool.table_put(t), std::logic_error);
  EXPECT_THROW(pool.table_get(t), std::logic_error);
  EXPECT_EQ(pool.table_alloc(), t) << "a freed table is handed out again";
}

TEST(TablePool, ACopiedPoolIsIndependent) {
  TablePool pool(512);
  TableId t = pool.table_alloc();
  pool.entries(t)[0] = pte_make_page(1);
  TablePool copy(pool);
  pool.entries(t)[0] = pte_make_page(2);
  EXPECT_EQ(copy.entries(t)[0], pte_make_page(1));
  EXPECT_EQ(copy.refcount(t), 1u);
}

}  // namespace
}  // namespace cow::fast
