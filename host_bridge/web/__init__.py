"""The pages: kiosk, ticket page, hall screen, agent console (static files that use the API)."""
