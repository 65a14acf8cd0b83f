-- graphviz.lua - pandoc filter: ```dot blocks become SVG images made by Graphviz.
--
-- The SVG is written to $IPCLAB_IMG_DIR/<page>-<n>.svg and linked with a
-- relative path (img/...), so the site works from file:// without a server.
-- The dot source stays in the Markdown, the single source of the picture.

local img_dir = os.getenv("IPCLAB_IMG_DIR") or "img"
local page = os.getenv("IPCLAB_PAGE") or "page"
local count = 0

function CodeBlock(block)
  if not block.classes:includes("dot") then return nil end
  count = count + 1
  local name = string.format("%s-%d.svg", page, count)
  local svg = pandoc.pipe("dot", { "-Tsvg" }, block.text)
  local f = assert(io.open(img_dir .. "/" .. name, "w"))
  f:write(svg)
  f:close()
  local title = block.text:match("digraph%s+([%w_]+)") or "diagram"
  return pandoc.Para({ pandoc.Image({ pandoc.Str(title) }, "img/" .. name, title) })
end
