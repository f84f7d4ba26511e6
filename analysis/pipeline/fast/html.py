"""The brief's HTML page without nbconvert's final BeautifulSoup pass (public nbconvert API only).

``HTMLExporter.from_notebook_node`` registers two filters, renders the template, then re-parses and
re-serialises the page with BeautifulSoup only to add ``alt`` text to ``<img>`` tags without one and
``tabindex`` to JupyterLab cell wrappers. The brief's template writes neither (every image has
``alt``, there are no ``jp-`` wrappers), so the pass only re-serialises the page (attribute quoting,
void tags): the same document, which browsers and WeasyPrint read alike (the fast-paths-off test
compares both after parsing). Skipping it saves ~0.06 s of a ~1 s warm build.
"""
from __future__ import annotations

import functools

from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter


class FastPage:
    """Mixin for :class:`analysis.render.exporters.BriefHTMLExporter` and its subclasses."""

    def render_page(self, nb, resources, **kw):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        # The brief renders no widgets (its display priority has no widget type), so no widget state.
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata={}, parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@functools.cache
def fast_exporter(cls: type) -> type:
    """``cls`` with :class:`FastPage`'s ``render_page``."""
    return type(f"Fast{cls.__name__}", (FastPage, cls), {"__doc__": cls.__doc__})
