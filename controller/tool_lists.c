#include "tool_lists.h"

#include <errno.h>
#include <stdlib.h>

void mcp_tool_list_clear(struct mcp_tool_list *l)
{
    for (size_t i = 0; l->names && i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->error);
    l->names = NULL;
    l->n = 0;
    l->error = NULL;
    l->status = -EAGAIN;
}

void mcp_tool_lists_free(struct mcp_tool_list *lists, size_t n)
{
    if (!lists)
        return;
    for (size_t i = 0; i < n; i++) {
        mcp_tool_list_clear(&lists[i]);
        free(lists[i].url);
    }
    free(lists);
}
