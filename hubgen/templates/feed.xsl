<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an RSS or Atom feed as a readable page when it is opened in a browser.
     Feed readers ignore it. A theme may override this file (templates/feed.xsl). -->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom">
<xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

<xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
<xsl:variable name="page" select="/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href"/>
<xsl:variable name="self" select="/rss/channel/atom:link[@rel='self']/@href | /atom:feed/atom:link[@rel='self']/@href"/>

<xsl:template match="/">
<html lang="{{ site.language }}">
<head>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title><xsl:value-of select="$title"/> (web feed)</title>
<style>
  :root { color-scheme: light dark; }
  body { font: 1.05rem/1.6 system-ui, sans-serif; max-width: 44rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
  a { color: #0b6650; }
  @media (prefers-color-scheme: dark) { a { color: #7fd1b4; } }
  .about { border: 1px solid #8a8f94; border-radius: 0.5rem; padding: 0.75rem 1rem; }
  code { overflow-wrap: anywhere; }
  .entry { border-top: 1px solid #8a8f94; padding-top: 0.75rem; }
  .entry h3 { margin: 0.25rem 0; }
  .date { margin: 0; font-size: 0.9rem; opacity: 0.8; }
</style>
</head>
<body>
<main>
  <section class="about">
    <p><strong>This is a web feed</strong> (an RSS or Atom feed) from {{ site.title }}. A feed reader
    (also called a newsreader) checks it for you and shows each new post as it is published.</p>
    <p>To subscribe, copy this page's address into your feed reader:
    <code><xsl:value-of select="$self"/></code></p>
    <p>New to feeds? <a href="https://aboutfeeds.com/">About Feeds</a> explains them in a few minutes.</p>
  </section>
  <h1><xsl:value-of select="$title"/></h1>
  <p><xsl:value-of select="/rss/channel/description | /atom:feed/atom:subtitle"/></p>
  <p><a href="{$page}">Visit the page this feed follows</a></p>
  <h2>Latest entries</h2>
  <xsl:for-each select="/rss/channel/item | /atom:feed/atom:entry">
    <article class="entry">
      <h3><a href="{link | atom:link[@rel='alternate']/@href}"><xsl:value-of select="title | atom:title"/></a></h3>
      <p class="date"><xsl:value-of select="pubDate | atom:published"/></p>
      <p><xsl:value-of select="description | atom:summary"/></p>
    </article>
  </xsl:for-each>
  <xsl:if test="not(/rss/channel/item | /atom:feed/atom:entry)">
    <p>Nothing here yet.</p>
  </xsl:if>
</main>
</body>
</html>
</xsl:template>
</xsl:stylesheet>
