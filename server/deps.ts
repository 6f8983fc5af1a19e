import type { Bus } from '../core/bus/bus'
import type { Config } from '../core/config'
import type { Logger } from '../core/log'
import type { EventPublisher } from '../core/publisher'
import type { Store } from '../core/store/store'
import type { ModelCache } from '../recommender/serving'
import type { ApiKeyCache } from './auth'

/** What the HTTP layer is given; it never knows which adapters these are. */
export interface AppDeps {
  store: Store
  bus: Bus
  publisher: EventPublisher
  models: ModelCache
  keys: ApiKeyCache
  config: Config
  log: Logger
}
