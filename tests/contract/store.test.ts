import { mongoStore, sqliteStore } from '../helpers/adapters'
import { hasMongo } from '../helpers/services'
import { storeContract } from './store.contract'

storeContract('SQLite', sqliteStore)
if (hasMongo) storeContract('MongoDB wire protocol', () => mongoStore())
