"""The exported OpenAPI documents and the script that regenerates and checks them."""
