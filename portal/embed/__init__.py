"""What a client's career page embeds: ``/embed.js`` and ``/embed/<slug>/lookup|badge|status``
(``views``), the status lookup by email (``lookup``) and the client's logo and theme,
``/brand/<slug>/...`` (``brand``)."""

from portal.embed import brand, views

BLUEPRINTS = (views.bp, brand.bp)
